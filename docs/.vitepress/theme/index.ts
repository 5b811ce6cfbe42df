// VitePress's default theme, with wider pages: the docs carry wide tables (settings, SDK calls).
import DefaultTheme from "vitepress/theme";
import "./custom.css";

export default DefaultTheme;
