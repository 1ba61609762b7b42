import { useQuery } from '@tanstack/react-query';
import { simulatorInfo } from '../../api/simulator';

/** Whether this server runs the WhatsApp simulator (asked only for admins; 404 elsewhere). */
export function useSimulatorAvailable(isAdmin: boolean): boolean {
  const info = useQuery({ queryKey: ['simulator'], queryFn: simulatorInfo, enabled: isAdmin, retry: false, staleTime: Infinity });
  return isAdmin && info.isSuccess;
}
