/// <reference types="vite/client" />

/** True in the dev server and test builds, which serve the tiny test models; false in production. */
declare const __DEV_MODELS__: boolean;
