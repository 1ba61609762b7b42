/** The actions and target types the API records; each known one has a sentence in both languages, an unknown one shows as its code. */
export const AUDIT_ACTIONS = [
  'audit.view',
  'audit.export',
  'transcript.view',
  'memory.view',
  'conversation.search',
  'conversation.pause',
  'conversation.resume',
  'conversation.reply',
  'file.download',
  'user.list',
  'user.create',
  'user.update',
  'user.role_change',
  'user.delete',
  'user.export',
  'user.bootstrap_admin',
  'user.phone_change',
  'user.phone_change_refused',
  'user.identity_key_change',
  'user.channel_identity_change',
  'cohort.create',
  'cohort.update',
  'cohort.members_add',
  'cohort.member_remove',
  'cohort.mentor_add',
  'cohort.mentor_remove',
  'mentor.assign',
  'mentor.unassign',
  'queue.claim',
  'queue.resolve',
  'queue.snooze',
  'eval_case.promote',
  'usage.export',
  'usage.cap_lift',
  'usage.cap_unlift',
  'retention.delete',
  'security.sign_in_code_guessing',
  'totp.enrolment_started',
  'totp.enabled',
  'totp.disabled',
  'totp.recovery_codes_regenerated',
  'auth.second_factor_passed',
  'security.second_factor_failed',
  'security.second_factor_guessing',
] as const;

export const AUDIT_TARGETS = ['conversation', 'user', 'audit_log', 'cohort', 'file', 'message', 'queue_item', 'usage', 'client'] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export type AuditTarget = (typeof AUDIT_TARGETS)[number];

export function isKnown<T extends string>(list: readonly T[], value: string | null): value is T {
  return value !== null && (list as readonly string[]).includes(value);
}
