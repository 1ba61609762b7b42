import { useEffect, useState } from 'react';
import { getFileRules } from '../api/files';
import type { FileRules } from '../api/types';

let cached: Promise<FileRules> | null = null;

/** The upload rules, fetched once per page load; null until they arrive (or if they fail). */
export function useFileRules(): FileRules | null {
  const [rules, setRules] = useState<FileRules | null>(null);
  useEffect(() => {
    let active = true;
    cached ??= getFileRules().catch((error: unknown) => {
      cached = null;
      throw error;
    });
    cached.then(
      (value) => active && setRules(value),
      () => undefined,
    );
    return () => {
      active = false;
    };
  }, []);
  return rules;
}
