/**
 * The order fulfilment domain: four services (orders, payments, inventory, shipping), their commands
 * and their events. Every event carries the order id, which is how a saga or a reaction finds the
 * business transaction it belongs to.
 */

export type OrderLine = {
  orderId: string;
  /** Cents. */
  amount: number;
  /** `declined` makes the payment fail. */
  card: string;
  sku: string;
  qty: number;
  /** `nowhere` makes shipping refuse the order. */
  address: string;
};

export type OrderPlaced = { type: 'OrderPlaced'; data: OrderLine };
export type OrderCompleted = { type: 'OrderCompleted'; data: { orderId: string } };
export type OrderCancelled = { type: 'OrderCancelled'; data: { orderId: string; reason: string } };
export type OrderEvent = OrderPlaced | OrderCompleted | OrderCancelled;

export type PaymentCharged = { type: 'PaymentCharged'; data: { orderId: string; amount: number } };
export type PaymentDeclined = { type: 'PaymentDeclined'; data: { orderId: string; reason: string } };
export type PaymentRefunded = { type: 'PaymentRefunded'; data: { orderId: string; amount: number } };
/** A refund arrived before (or instead of) the charge: nothing to refund, and a late charge is refused. */
export type PaymentVoided = { type: 'PaymentVoided'; data: { orderId: string } };
export type PaymentCaptured = { type: 'PaymentCaptured'; data: { orderId: string; amount: number } };
export type PaymentEvent = PaymentCharged | PaymentDeclined | PaymentRefunded | PaymentVoided | PaymentCaptured;

export type StockAdded = { type: 'StockAdded'; data: { sku: string; qty: number } };
export type StockReserved = { type: 'StockReserved'; data: { orderId: string; sku: string; qty: number } };
export type StockReservationRejected = { type: 'StockReservationRejected'; data: { orderId: string; sku: string; reason: string } };
export type StockReleased = { type: 'StockReleased'; data: { orderId: string; sku: string; qty: number } };
/** A release arrived before (or instead of) the reservation: nothing to release, and a late reservation is refused. */
export type StockReservationCancelled = { type: 'StockReservationCancelled'; data: { orderId: string; sku: string } };
export type StockShipped = { type: 'StockShipped'; data: { orderId: string; sku: string; qty: number } };
export type StockEvent = StockAdded | StockReserved | StockReservationRejected | StockReleased | StockReservationCancelled | StockShipped;

export type ShipmentScheduled = { type: 'ShipmentScheduled'; data: { orderId: string; address: string } };
export type ShipmentRejected = { type: 'ShipmentRejected'; data: { orderId: string; reason: string } };
export type ShipmentCancelled = { type: 'ShipmentCancelled'; data: { orderId: string; reason: string } };
export type ShipmentEvent = ShipmentScheduled | ShipmentRejected | ShipmentCancelled;

export type ShopEvent = OrderEvent | PaymentEvent | StockEvent | ShipmentEvent;

export type PlaceOrder = { type: 'PlaceOrder'; data: OrderLine };
export type CompleteOrder = { type: 'CompleteOrder'; data: { orderId: string } };
export type CancelOrder = { type: 'CancelOrder'; data: { orderId: string; reason: string } };
export type OrderCommand = PlaceOrder | CompleteOrder | CancelOrder;

export type ChargePayment = { type: 'ChargePayment'; data: { orderId: string; amount: number; card: string } };
export type RefundPayment = { type: 'RefundPayment'; data: { orderId: string } };
export type CapturePayment = { type: 'CapturePayment'; data: { orderId: string } };
export type PaymentCommand = ChargePayment | RefundPayment | CapturePayment;

export type AddStock = { type: 'AddStock'; data: { sku: string; qty: number } };
export type ReserveStock = { type: 'ReserveStock'; data: { orderId: string; sku: string; qty: number } };
export type ReleaseStock = { type: 'ReleaseStock'; data: { orderId: string; sku: string } };
export type CommitStock = { type: 'CommitStock'; data: { orderId: string; sku: string } };
export type StockCommand = AddStock | ReserveStock | ReleaseStock | CommitStock;

export type ShipOrder = { type: 'ShipOrder'; data: { orderId: string; address: string } };
export type CancelShipment = { type: 'CancelShipment'; data: { orderId: string; reason: string } };
/** The order's shipping deadline passed: cancel unless it was scheduled in time. */
export type ExpireShipment = { type: 'ExpireShipment'; data: { orderId: string } };
export type ShipmentCommand = ShipOrder | CancelShipment | ExpireShipment;

export type ShopCommand = OrderCommand | PaymentCommand | StockCommand | ShipmentCommand;
