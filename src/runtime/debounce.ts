/** Call `fn` once, `ms` after the last of a burst of calls, with everything the burst carried. */
export function debounceCollect<T>(ms: number, fn: (items: T[]) => void): { push: (item: T) => void; cancel: () => void } {
  let items: T[] = [];
  let timer: NodeJS.Timeout | null = null;
  return {
    push(item: T) {
      items.push(item);
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        const batch = items;
        items = [];
        fn(batch);
      }, ms);
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
      items = [];
    },
  };
}
