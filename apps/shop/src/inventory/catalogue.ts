/** The seeded catalogue of `npm start`: a handful of products with opening stock. */
export interface CatalogueItem {
  sku: string;
  name: string;
  description: string;
  /** Cents. */
  unitPrice: number;
  quantity: number;
}

export const SEED_CATALOGUE: readonly CatalogueItem[] = [
  { sku: 'TEA-001', name: 'Sencha green tea', description: 'Steamed Japanese green tea, 100 g tin', unitPrice: 1250, quantity: 5000 },
  { sku: 'TEA-002', name: 'Assam breakfast tea', description: 'Malty black tea from Assam, 250 g bag', unitPrice: 950, quantity: 5000 },
  { sku: 'MUG-001', name: 'Stoneware mug', description: 'Hand-glazed stoneware mug, 350 ml', unitPrice: 1800, quantity: 2000 },
  { sku: 'POT-001', name: 'Cast iron teapot', description: 'Tetsubin cast iron teapot with infuser, 800 ml', unitPrice: 6400, quantity: 500 },
  { sku: 'KET-001', name: 'Gooseneck kettle', description: 'Electric gooseneck kettle with temperature control', unitPrice: 8900, quantity: 300 },
  { sku: 'CUP-001', name: 'Porcelain tea cups', description: 'Set of four thin porcelain cups', unitPrice: 3200, quantity: 1000 },
  { sku: 'STR-001', name: 'Fine mesh strainer', description: 'Stainless steel strainer for loose leaf tea', unitPrice: 700, quantity: 3000 },
  { sku: 'LTD-001', name: 'First flush Darjeeling', description: 'Limited spring harvest, 50 g, few in stock', unitPrice: 2900, quantity: 3 },
];
