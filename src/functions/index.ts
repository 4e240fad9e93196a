// The Functions app's entry point (package.json "main"). Imports run in order: settings are
// validated first, then each function registers itself.
import './startup';
import './eventGridTrigger';
import './scheduledAudit';
import './alertFlush';
import './auditBatch';
import './auditBatchPoison';
import './audit';
