/** Shipping addresses the load generator cycles through (they make full-text search results varied). */
export const ADDRESS_BOOK = [
  { name: 'Ada Lovelace', street: '12 St James Square', city: 'London', postcode: 'SW1Y 4JH', country: 'GB' },
  { name: 'Grace Hopper', street: '1 Navy Yard', city: 'Arlington', postcode: '22202', country: 'US' },
  { name: 'Margaret Hamilton', street: '75 Vassar St', city: 'Cambridge', postcode: '02139', country: 'US' },
  { name: 'Edsger Dijkstra', street: 'Den Dolech 2', city: 'Eindhoven', postcode: '5612 AZ', country: 'NL' },
  { name: 'Barbara Liskov', street: '32 Vassar St', city: 'Cambridge', postcode: '02139', country: 'US' },
  { name: 'Niklaus Wirth', street: 'Rämistrasse 101', city: 'Zürich', postcode: '8092', country: 'CH' },
  { name: 'Kristen Nygaard', street: 'Gaustadalléen 23B', city: 'Oslo', postcode: '0373', country: 'NO' },
];
