/** A sweep plan document for unit tests of the pure sweep code: everything fixed but what a test varies. */
export function planDoc(baseRequest: Record<string, unknown>, strategy: Record<string, unknown>): Record<string, unknown> {
  return {
    version: 1,
    kind: 'sweep_plan',
    created_at: '2026-02-01T21:20:47Z',
    created_by: 'x@1',
    workspace: '/ws',
    group: { name: 'g' },
    base_request: baseRequest,
    strategy,
    execution: { max_parallel: 2 },
  };
}
