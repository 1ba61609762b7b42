/** How each specialist looks: an icon, a colour (CSS class suffix) and its name's dictionary key. */
import type { Agent } from '../api/types';
import type { IconName } from '../components/Icon';
import type { MessageKey } from '../i18n';

export interface SpecialistLook {
  icon: IconName;
  /** Used as `specialist--{tone}`; the colours live in the stylesheet. */
  tone: Agent;
  label: MessageKey;
  /** How the role reads under the name ("Especialista técnico"); none for Ignacio itself. */
  role?: MessageKey;
}

export const SPECIALISTS: Record<Agent, SpecialistLook> = {
  marketing: { icon: 'megaphone', tone: 'marketing', label: 'agent.marketing', role: 'agent.role.marketing' },
  technical: { icon: 'code', tone: 'technical', label: 'agent.technical', role: 'agent.role.technical' },
  project_management: { icon: 'calendar', tone: 'project_management', label: 'agent.project_management', role: 'agent.role.project_management' },
  financial: { icon: 'chart', tone: 'financial', label: 'agent.financial', role: 'agent.role.financial' },
  general: { icon: 'sparkle', tone: 'general', label: 'agent.general' },
  // The participant asked for a person: Ignacio said a mentor has been told.
  human: { icon: 'user', tone: 'general', label: 'agent.human' },
};

export const AGENTS = Object.keys(SPECIALISTS) as Agent[];

export function specialistLook(agent: string | null | undefined): SpecialistLook {
  return agent && agent in SPECIALISTS ? SPECIALISTS[agent as Agent] : SPECIALISTS.general;
}
