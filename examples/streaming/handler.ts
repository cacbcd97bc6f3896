import { toLambda } from 'lambda-bridge';
import { app } from './app.js';

/**
 * The handler to deploy behind a function URL with invoke mode RESPONSE_STREAM (or an API
 * Gateway REST API with responseTransferMode STREAM): every chunk goes out as the app writes it.
 */
export const handler = toLambda(app, { streaming: true });
