import { toLambda } from 'lambda-bridge';
import { app } from './app.js';

/** The app's handler, behind an ALB target group. */
export const handler = toLambda(app);
