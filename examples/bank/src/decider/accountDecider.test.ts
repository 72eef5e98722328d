import { describe } from 'vitest';
import { accountScenarios } from '../accountScenarios.js';
import { accountDecider } from './accountDecider.js';

describe('bank account as a decider', () => {
  accountScenarios(accountDecider, (state) => state.balance);
});
