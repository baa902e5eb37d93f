import { crashSuite } from './crash-harness.ts';

crashSuite('postgres');
