/** JSON schemas of every HTTP input. Strict: no extra properties, no type coercion, bounded sizes. */

const id = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;
const sku = { type: 'string', pattern: '^[A-Z0-9-]{1,32}$' } as const;
const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;
const digits = { type: 'string', pattern: '^[0-9]{1,15}$' } as const;
/** Global positions: PostgreSQL's exceed 2^53 (up to 40 digits). */
const position = { type: 'string', pattern: '^[0-9]{1,40}$' } as const;

export const placeOrderBody = {
  type: 'object',
  additionalProperties: false,
  required: ['customerId', 'lines', 'shippingAddress', 'paymentToken'],
  properties: {
    orderId: id,
    customerId: id,
    lines: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['sku', 'quantity'],
        properties: { sku, quantity: { type: 'integer', minimum: 1, maximum: 1000 } },
      },
    },
    shippingAddress: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'street', 'city', 'postcode', 'country'],
      properties: {
        name: text(100),
        street: text(200),
        city: text(100),
        postcode: { type: 'string', pattern: '^[A-Za-z0-9 -]{1,12}$' },
        country: { type: 'string', pattern: '^[A-Z]{2}$' },
      },
    },
    paymentToken: { type: 'string', pattern: '^[A-Za-z0-9_]{1,64}$' },
  },
} as const;

export const orderParams = { type: 'object', required: ['orderId'], properties: { orderId: id } } as const;
export const skuParams = { type: 'object', required: ['sku'], properties: { sku } } as const;
export const customerParams = { type: 'object', required: ['customerId'], properties: { customerId: id } } as const;
export const streamParams = {
  type: 'object',
  required: ['streamId'],
  properties: { streamId: { type: 'string', pattern: '^(order|payment|stock|reservation|shipment|saga-Fulfilment)-[A-Za-z0-9_-]{1,64}$' } },
} as const;

export const cancelOrderBody = {
  anyOf: [{ type: 'null' }, { type: 'object', additionalProperties: false, properties: { reason: text(200) } }],
} as const;

export const addStockBody = {
  type: 'object',
  additionalProperties: false,
  required: ['quantity'],
  properties: { quantity: { type: 'integer', minimum: 1, maximum: 1_000_000 } },
} as const;

export const readYourWritesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { minPosition: position },
} as const;

export const listOrdersQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: ['placed', 'completed', 'rejected', 'cancelled'] },
    customerId: id,
    limit: { type: 'string', pattern: '^(?:[1-9][0-9]?|100)$' },
    before: digits,
  },
} as const;

export const searchQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['q'],
  properties: { q: text(200), limit: { type: 'string', pattern: '^(?:[1-9][0-9]?|100)$' } },
} as const;

export const productsQuery = { type: 'object', additionalProperties: false, properties: { q: text(200) } } as const;

export const streamEventsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { fromVersion: digits, limit: { type: 'string', pattern: '^(?:[1-9][0-9]{0,2}|1000)$' } },
} as const;

export const streamStateQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    version: digits,
    asOf: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,3})?Z$' },
  },
} as const;

export const deadLettersQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { binding: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,200}$' }, limit: { type: 'string', pattern: '^(?:[1-9][0-9]{0,2}|1000)$' } },
} as const;

export const sagaRetryBody = {
  anyOf: [{ type: 'null' }, { type: 'object', additionalProperties: false, properties: { note: text(500) } }],
} as const;

export const sagaResolveBody = {
  type: 'object',
  additionalProperties: false,
  required: ['resolution', 'note'],
  properties: { resolution: { type: 'string', enum: ['completed', 'compensated'] }, note: text(500) },
} as const;

export const replayBody = {
  type: 'object',
  additionalProperties: false,
  required: ['binding'],
  properties: {
    binding: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,200}$' },
    ids: { type: 'array', maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 200 } },
  },
} as const;
