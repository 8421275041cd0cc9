export async function startCommand(_p: string[], _o: unknown): Promise<number> {
  return 1;
}
