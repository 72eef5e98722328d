/** The bank account's commands and events, shared by the decider and the decorated class. */

export type AccountOpened = { type: 'AccountOpened'; data: { accountId: string; owner: string } };
/** Money came in: a deposit, an incoming transfer, or a reversed transfer. */
export type AccountCredited = { type: 'AccountCredited'; data: { amount: number; transferId?: string } };
/** Money went out: a withdrawal or an outgoing transfer. */
export type AccountDebited = { type: 'AccountDebited'; data: { amount: number; transferId?: string } };
export type AccountEvent = AccountOpened | AccountCredited | AccountDebited;

export type OpenAccount = { type: 'OpenAccount'; data: { accountId: string; owner: string } };
export type DepositMoney = { type: 'DepositMoney'; data: { accountId: string; amount: number; transferId?: string } };
export type WithdrawMoney = { type: 'WithdrawMoney'; data: { accountId: string; amount: number; transferId?: string } };
export type AccountCommand = OpenAccount | DepositMoney | WithdrawMoney;

/** Moves money between two accounts; handled by the bank, not by one account. */
export type TransferMoney = { type: 'TransferMoney'; data: { transferId: string; from: string; to: string; amount: number } };
export type BankCommand = AccountCommand | TransferMoney;

/** Copies `transferId` only when present: event data must be JSON, and JSON has no `undefined`. */
export function withTransfer<T extends object>(data: T, transferId: string | undefined): T & { transferId?: string } {
  return transferId === undefined ? data : { ...data, transferId };
}
