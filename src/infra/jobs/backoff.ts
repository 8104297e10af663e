/**
 * Delay before retry number `attempt` (1 = the first retry): exponential from `baseMs`, capped, with
 * "full jitter" on the top half so that many jobs failing together (an SMTP server restarting) do not
 * all come back in the same second.
 */
export function retryDelayMs(
  attempt: number,
  { baseMs = 5_000, maxMs = 6 * 3600_000, random = Math.random } = {},
): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
