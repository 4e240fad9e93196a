import { validateAtStartup } from './composition';

// Imported first by index.ts: a bad setting fails the app's start with a message naming it.
validateAtStartup();
