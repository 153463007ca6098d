import type { ButtonHTMLAttributes } from "react";

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: "primary" | "secondary";
}

/** A native button in one of the two styles: keyboard and screen readers work as for any button. */
export function Button({ variant = "primary", className = "", type = "button", ...rest }: ButtonProps) {
  return <button type={type} className={`ds-button ds-button--${variant} ${className}`.trim()} {...rest} />;
}
