// Polls until a condition holds, for tests waiting on another process or a background task.

/** Resolves once `cond` holds; throws past `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 10_000, intervalMs = 10): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`condition not met in ${ms} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
