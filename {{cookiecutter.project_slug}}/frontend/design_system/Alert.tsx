import type { ReactNode } from "react";

export interface AlertProps {
  tone: "error" | "info";
  title: string;
  children?: ReactNode;
}

/** A message that stands out; errors are announced at once (role="alert"), the rest politely. */
export function Alert({ tone, title, children }: AlertProps) {
  return (
    <div className={`ds-alert ds-alert--${tone}`} role={tone === "error" ? "alert" : "status"}>
      <p className="ds-alert__title">{title}</p>
      {children ? <div className="ds-alert__body">{children}</div> : null}
    </div>
  );
}
