export { cookieStateStore, type CookieStateStoreOptions, type FeishuStateStore } from './cookie-state-store.js';
export { StateRefusal } from './state-refusal.js';
