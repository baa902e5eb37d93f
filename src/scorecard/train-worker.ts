// Worker thread entry of trainInWorker (src/scorecard/train-job.ts): one training job, then the thread ends.
import { serveWorker } from '../kernel/ts-worker.ts';
import { runTrainJob } from './train-job.ts';

serveWorker(runTrainJob);
