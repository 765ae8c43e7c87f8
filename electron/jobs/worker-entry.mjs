// Worker thread entry: load the TypeScript worker through tsx (no build step in development and CLI use).
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
