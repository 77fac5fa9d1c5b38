/** The body of every error answer of the API, `{ code, message }` (a stable code from a part's catalogue), as a response schema. */
export const errorDoc = { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } as const;
