import { Fragment, type ReactNode } from "react";

/** The little CommonMark OpenAPI descriptions use, as React elements: never HTML, so no markup injection. */
export function Markdown({ text }: { text: string | undefined }) {
  if (!text) return null;
  const blocks = text.replace(/\r\n?/g, "\n").split(/\n{2,}/);
  return (
    <>
      {blocks.map((block, b) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: blocks of a fixed text, never reordered.
        <Fragment key={b}>{renderBlock(block)}</Fragment>
      ))}
    </>
  );
}

function renderBlock(block: string): ReactNode {
  const out: ReactNode[] = [];
  let paragraph: string[] = [];
  let items: string[] = [];
  const flushParagraph = () => {
    if (paragraph.length) out.push(<p key={`p${out.length}`}>{inline(paragraph.join(" "))}</p>);
    paragraph = [];
  };
  const flushList = () => {
    if (items.length)
      out.push(
        <ul key={`u${out.length}`}>
          {items.map((item, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: items of a fixed text, never reordered.
            <li key={i}>{inline(item)}</li>
          ))}
        </ul>,
      );
    items = [];
  };
  for (const raw of block.split("\n")) {
    const line = raw.trim();
    const bullet = /^[-*]\s+(.*)$/.exec(line);
    if (bullet) {
      flushParagraph();
      items.push(bullet[1] ?? "");
    } else if (items.length && line) {
      // A lazy continuation line belongs to the item above it.
      items[items.length - 1] += ` ${line}`;
    } else if (line) {
      paragraph.push(line);
    }
  }
  flushParagraph();
  flushList();
  return out;
}

const INLINE = /(`[^`]+`|\*\*[^*]+\*\*|\[[^\]]+\]\([^)\s]+\))/g;

function safeHref(href: string): string | null {
  return /^(https?:\/\/|\/(?!\/)|#)/.test(href) ? href : null;
}

function inline(text: string): ReactNode[] {
  return text.split(INLINE).map((part, i) => {
    const key = `${i}`;
    if (part.startsWith("`") && part.endsWith("`") && part.length > 1)
      return <code key={key}>{part.slice(1, -1)}</code>;
    if (part.startsWith("**") && part.endsWith("**") && part.length > 4)
      return <strong key={key}>{part.slice(2, -2)}</strong>;
    const link = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(part);
    if (link) {
      const href = safeHref(link[2] ?? "");
      return href ? (
        <a key={key} href={href}>
          {link[1]}
        </a>
      ) : (
        <Fragment key={key}>{link[1]}</Fragment>
      );
    }
    return <Fragment key={key}>{part}</Fragment>;
  });
}
