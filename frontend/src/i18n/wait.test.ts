import { describe, expect, it } from 'vitest';
import { translate, type MessageKey, type Vars } from './index';
import { waitText } from './wait';

const es = (key: MessageKey, vars?: Vars) => translate('es', key, vars);
const en = (key: MessageKey, vars?: Vars) => translate('en', key, vars);

describe('waitText', () => {
  it('says minutes, not hundreds of seconds', () => {
    expect(waitText(es, 781)).toBe('unos 13 minutos');
    expect(waitText(en, 781)).toBe('about 13 minutes');
    expect(waitText(en, 899)).toBe('about 15 minutes');
  });
  it('keeps seconds for short waits and hours for long ones', () => {
    expect(waitText(es, 30)).toBe('30 segundos');
    expect(waitText(en, 1)).toBe('1 second');
    expect(waitText(en, 70)).toBe('about a minute');
    expect(waitText(es, 3 * 3600)).toBe('unas 3 horas');
  });
});
