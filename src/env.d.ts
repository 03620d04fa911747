/// <reference types="vite/client" />

/** True in the dev server and test builds, which serve the tiny test models; false in production. */
declare const __DEV_MODELS__: boolean;
/** The host origins allowed to drive the embeddable widget: DEEPSEEK_WIDGET_ORIGINS at build time (vite.config.ts). */
declare const __WIDGET_HOST_ORIGINS__: string[];
