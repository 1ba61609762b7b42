/** Admin: who mentors a participant; assign another user as their mentor, or take one off. */
import { useId, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { assignMentor, participantMentors, unassignMentor } from '../../api/mentor';
import type { User } from '../../api/types';
import { listUsers } from '../../api/users';
import { Dialog } from '../../components/Dialog';
import { Icon } from '../../components/Icon';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';

export function MentorsDialog({ participant, onClose }: { participant: User; onClose: () => void }) {
  const { t } = useI18n();
  const id = useId();
  const errorText = useErrorText();
  const client = useQueryClient();
  const key = ['staff', 'mentors-of', participant.id] as const;
  const mentors = useQuery({ queryKey: key, queryFn: () => participantMentors(participant.id) });
  const candidates = useQuery({ queryKey: ['staff', 'mentor-candidates'], queryFn: () => listUsers({ limit: 100 }) });
  const [chosen, setChosen] = useState('');
  const settle = () => client.invalidateQueries({ queryKey: ['staff'] });
  const assign = useMutation({ mutationFn: (mentorId: string) => assignMentor(mentorId, participant.id), onSuccess: () => setChosen(''), onSettled: settle });
  const unassign = useMutation({ mutationFn: (mentorId: string) => unassignMentor(mentorId, participant.id), onSettled: settle });
  const assigned = new Set(mentors.data?.map((a) => a.mentor.id));
  const options = (candidates.data?.items ?? []).filter((u) => u.id !== participant.id && !assigned.has(u.id) && u.is_active);
  const name = (u: { name: string | null }) => u.name || t('common.none');
  const error = mentors.error ?? assign.error ?? unassign.error;

  return (
    <Dialog open title={t('staff.mentorsOf', { name: name(participant) })} onClose={onClose} onSubmit={() => chosen && assign.mutate(chosen)} testId="mentors-dialog">
      <div className="form">
        {mentors.data?.length === 0 && <p className="muted">{t('staff.noMentors')}</p>}
        <ul className="mentor-list" data-testid="mentor-list">
          {mentors.data?.map((a) => (
            <li key={a.mentor.id}>
              <span>{name(a.mentor)}</span>
              <button
                type="button"
                className="icon-btn icon-btn--danger"
                onClick={() => unassign.mutate(a.mentor.id)}
                aria-label={t('staff.unassign', { name: name(a.mentor) })}
                title={t('staff.unassign', { name: name(a.mentor) })}
              >
                <Icon name="x" />
              </button>
            </li>
          ))}
        </ul>
        <div className="field">
          <label htmlFor={`${id}-mentor`}>{t('staff.addMentor')}</label>
          <select id={`${id}-mentor`} value={chosen} onChange={(e) => setChosen(e.target.value)} data-testid="mentor-select">
            <option value="">{t('staff.chooseMentor')}</option>
            {options.map((u) => (
              <option key={u.id} value={u.id}>
                {name(u)}
                {u.is_mentor ? ` · ${t('staff.mentorRole')}` : ''}
              </option>
            ))}
          </select>
          <p className="field__hint">{t('staff.addMentorHint')}</p>
        </div>
        <div className="dialog__inline-actions">
          <button type="submit" className="btn btn--primary" disabled={!chosen || assign.isPending} data-testid="mentor-assign">
            {t('staff.assign')}
          </button>
        </div>
        <p className="form-error" role="alert">
          {error != null ? errorText(error) : null}
        </p>
      </div>
    </Dialog>
  );
}
