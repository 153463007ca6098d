/** The design system: tokens (tokens.css) and the few base components the app is built from. */
import "./tokens.css";
import "./components.css";

export { Alert, type AlertProps } from "./Alert";
export { Bar, type BarProps, formatPercent } from "./Bar";
export { Button, type ButtonProps } from "./Button";
export { Card } from "./Card";
