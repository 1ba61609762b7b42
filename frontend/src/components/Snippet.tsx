/** Words around a search match, the matched ones highlighted (parts are text, never markup). */
export interface SnippetPart {
  text: string;
  match: boolean;
}

export function Snippet({ parts, className }: { parts: SnippetPart[]; className?: string }) {
  return (
    <span className={className} data-testid="search-snippet">
      {parts.map((part, i) => (part.match ? <mark key={i}>{part.text}</mark> : <span key={i}>{part.text}</span>))}
    </span>
  );
}
