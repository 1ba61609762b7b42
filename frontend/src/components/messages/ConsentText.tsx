/**
 * The consent notice in a transcript, stored as it went out on WhatsApp with a 🔒 in front: here
 * the same drawn lock as the web's own consent notice stands in for the emoji, which a browser
 * without an emoji font would show as a box. The stored text is untouched.
 */
import { Icon } from '../Icon';
import { Markdown } from '../Markdown';

export function ConsentText({ text }: { text: string }) {
  return (
    <div className="answer__consent" data-testid="consent-message">
      <Icon name="lock" />
      <Markdown className="answer__lead">{text}</Markdown>
    </div>
  );
}
