import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "../../design_system";
import "./styles/app.css";
import { ClassifyPage } from "./pages/ClassifyPage";
import { createApi } from "./services/api";

const api = createApi();

createRoot(document.getElementById("root") as HTMLElement).render(
  <StrictMode>
    <ClassifyPage api={api} />
  </StrictMode>,
);
