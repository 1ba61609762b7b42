/**
 * Live changes for components: `useLiveSignal` calls back on each change this tab may see
 * (and with `reload` when changes may have been missed); `useLiveConnection` keeps the tab's
 * one stream open while someone is signed in.
 */
import { useEffect, useRef } from 'react';
import { liveStream, type LiveSignal } from '../api/live';

export function useLiveSignal(listener: (signal: LiveSignal) => void): void {
  const ref = useRef(listener);
  useEffect(() => {
    ref.current = listener;
  });
  useEffect(() => liveStream.subscribe((signal) => ref.current(signal)), []);
}

export function useLiveConnection(signedIn: boolean): void {
  useEffect(() => {
    if (!signedIn) return;
    liveStream.start();
    return () => liveStream.stop();
  }, [signedIn]);
}
