import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { batchPage } from './pages/batch.js';
import { batchesPage } from './pages/batches.js';
import { dlqPage } from './pages/dlq.js';
import { entryPage } from './pages/entry.js';
import { route, startRouter } from './router.js';

route(/^\/$/, batchesPage);
route(/^\/dlq\/?$/, dlqPage);
route(/^\/batches\/([^/]+)\/entries\/(\d+)\/?$/, entryPage);
route(/^\/batches\/([^/]+)\/?$/, batchPage);

startRouter(document.getElementById('app')!);
