import { MemoryAlertStore } from '../../pipeline/alerts/memory-store.js';
import { alertStoreSuite } from './alert-store.suite.js';

alertStoreSuite('memory', { create: async () => new MemoryAlertStore() });
