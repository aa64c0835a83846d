// Placeholder: replaced by the controller handler (issue 3).
export const handler = async (): Promise<{ passes: number }> => Promise.resolve({ passes: 0 });
