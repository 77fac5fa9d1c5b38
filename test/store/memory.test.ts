import { MemoryEventStore } from '../../pipeline/store/memory-store.js';
import { storeSuite } from './store.suite.js';

storeSuite('memory', {
  create: async (now) => new MemoryEventStore({ now }),
});
