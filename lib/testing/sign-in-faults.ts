/** Faults on a sign-in's steps, put on the mock endpoint the strategy's flow really calls. */
import type { FeishuFlow } from '../endpoints.js';
import type { FeishuStrategy } from '../strategy.js';
import type { MockFault } from './faults.js';
import type { MockEndpoint, MockFeishu } from './mock-feishu.js';

/** A strategy, or the name of its flow. */
export type SignInFaultTarget = Pick<FeishuStrategy, 'flow'> | FeishuFlow;

const CODE_EXCHANGE: Readonly<Record<FeishuFlow, MockEndpoint>> = { v1: 'v1Token', v2: 'v2Token', v3: 'v3Token', suite: 'suiteToken', 'mini-program': 'minaLogin' };
// A mini-program's ids come with its token answer, its name and avatar from user_info.
const USER_FETCH: Readonly<Record<FeishuFlow, MockEndpoint>> = { v1: 'userInfo', v2: 'userInfo', v3: 'userInfo', suite: 'suiteUserInfo', 'mini-program': 'userInfo' };

function flowOf(target: SignInFaultTarget): FeishuFlow {
  const flow = typeof target === 'string' ? target : target.flow;
  if (!Object.hasOwn(CODE_EXCHANGE, flow)) throw new TypeError(`unknown flow ${JSON.stringify(flow)}`);
  return flow;
}

/** The strategy's private `alwaysFetchUserInfo` option; a flow name alone means the default (false). */
function fetchesUserInfo(target: SignInFaultTarget): boolean {
  return typeof target !== 'string' && (target as { readonly alwaysFetchUserInfo?: unknown }).alwaysFetchUserInfo === true;
}

/** The mock endpoint of the code exchange in `target`'s flow (`v1Token`, `v2Token`, `v3Token`, `suiteToken` or `minaLogin`). */
export function codeExchangeEndpoint(target: SignInFaultTarget): MockEndpoint {
  return CODE_EXCHANGE[flowOf(target)];
}

/**
 * The mock endpoint the user comes from in `target`'s flow: user_info (`userInfo`, or
 * `suiteUserInfo` in the suite flow), except in flow v1, where Feishu hands the user out
 * with the token and the strategy calls no user_info (unless `alwaysFetchUserInfo`): there it
 * is the code exchange's endpoint, `v1Token`.
 */
export function userFetchEndpoint(target: SignInFaultTarget): MockEndpoint {
  const flow = flowOf(target);
  return FLOWS_WITH_USER_IN_TOKEN.has(flow) && !fetchesUserInfo(target) ? CODE_EXCHANGE[flow] : USER_FETCH[flow];
}

const FLOWS_WITH_USER_IN_TOKEN: ReadonlySet<FeishuFlow> = new Set(['v1']);

/**
 * The next `times` code exchanges of a sign-in meet `fault`: a Feishu error answer
 * (`{ kind: 'error', code: 20050, msg: 'System error' }`, in the endpoint's own shape), a
 * `{ kind: 'hang' }` that the strategy's `timeout` ends, a reset, a gateway's HTML page, ….
 * The endpoint is the one the strategy's flow calls (`codeExchangeEndpoint`).
 */
export function failCodeExchange(mock: MockFeishu, target: SignInFaultTarget, fault: MockFault, times = 1): void {
  mock.inject(codeExchangeEndpoint(target), fault, times);
}

/**
 * The next `times` times the strategy fetches the signed-in user, it meets `fault` (see
 * `failCodeExchange` for the faults). In flow v1 the user comes with the token answer, so
 * unless the strategy has `alwaysFetchUserInfo` the fault is put on that answer: the sign-in
 * fails where it really would, and your app sees the code exchange's error
 * (`FeishuTokenError`), not user_info's (`FeishuAPIError`). Pass the strategy itself, not its
 * flow name, for `alwaysFetchUserInfo` to count.
 */
export function failUserFetch(mock: MockFeishu, target: SignInFaultTarget, fault: MockFault, times = 1): void {
  mock.inject(userFetchEndpoint(target), fault, times);
}
