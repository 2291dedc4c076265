import { App } from 'aws-cdk-lib';
import { buildApp } from './build-app.js';

// The deployable app; every setting comes from context (see build-app.ts and the README).
buildApp(new App());
