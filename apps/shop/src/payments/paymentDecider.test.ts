import { deciderFixture } from '@eventfold/core/testing';
import { describe, test } from 'vitest';
import { AUTHORIZATION_LIMIT, DECLINED_TOKEN, type PaymentEvent, paymentDecider } from './paymentDecider.js';

const authorize = { orderId: 'o1', customerId: 'ada', amount: 4300, paymentToken: 'tok_visa' };
const authorized: PaymentEvent = { type: 'PaymentAuthorized', data: { orderId: 'o1', customerId: 'ada', amount: 4300 } };
const payment = deciderFixture(paymentDecider);

describe('payment decider', () => {
  test('authorises, and a redelivered request changes nothing', () => {
    payment.given([]).when({ type: 'AuthorizePayment', data: authorize }).then([authorized]);
    payment.given([authorized]).when({ type: 'AuthorizePayment', data: authorize }).then([]);
  });
  test('declines the declined token and amounts over the limit', () => {
    payment
      .given([])
      .when({ type: 'AuthorizePayment', data: { ...authorize, paymentToken: DECLINED_TOKEN } })
      .then([{ type: 'PaymentDeclined', data: { orderId: 'o1', customerId: 'ada', amount: 4300, reason: 'card_declined' } }]);
    payment
      .given([])
      .when({ type: 'AuthorizePayment', data: { ...authorize, amount: AUTHORIZATION_LIMIT + 1 } })
      .then([{ type: 'PaymentDeclined', data: { orderId: 'o1', customerId: 'ada', amount: AUTHORIZATION_LIMIT + 1, reason: 'limit_exceeded' } }]);
  });
  test('captures once', () => {
    const captured: PaymentEvent = { type: 'PaymentCaptured', data: { orderId: 'o1', amount: 4300 } };
    payment
      .given([authorized])
      .when({ type: 'CapturePayment', data: { orderId: 'o1' } })
      .then([captured]);
    payment
      .given([authorized, captured])
      .when({ type: 'CapturePayment', data: { orderId: 'o1' } })
      .then([]);
  });
  test('void: releases an authorisation, refunds a capture, closes a payment not yet requested, ignores a decline', () => {
    const reason = 'cancelled';
    payment
      .given([authorized])
      .when({ type: 'VoidPayment', data: { orderId: 'o1', reason } })
      .then([{ type: 'PaymentVoided', data: { orderId: 'o1', amount: 4300, reason } }]);
    payment
      .given([authorized, { type: 'PaymentCaptured', data: { orderId: 'o1', amount: 4300 } }])
      .when({ type: 'VoidPayment', data: { orderId: 'o1', reason } })
      .then([{ type: 'PaymentRefunded', data: { orderId: 'o1', amount: 4300, reason } }]);
    payment
      .given([])
      .when({ type: 'VoidPayment', data: { orderId: 'o1', reason } })
      .then([{ type: 'PaymentCancelled', data: { orderId: 'o1', reason } }]);
    payment
      .given([{ type: 'PaymentDeclined', data: { orderId: 'o1', customerId: 'ada', amount: 1, reason: 'card_declined' } }])
      .when({ type: 'VoidPayment', data: { orderId: 'o1', reason } })
      .then([]);
  });
  test('a request arriving after the cancellation authorises nothing', () => {
    payment
      .given([{ type: 'PaymentCancelled', data: { orderId: 'o1', reason: 'cancelled' } }])
      .when({ type: 'AuthorizePayment', data: authorize })
      .then([]);
  });
});
