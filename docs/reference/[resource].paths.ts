import { openApiDocument } from "../.vitepress/openapi.js";
import { referencePages } from "../.vitepress/reference.js";

/** One reference page per resource of the OpenAPI document (VitePress dynamic routes). */
export default {
  paths() {
    return referencePages(openApiDocument()).map((page) => ({
      params: { resource: page.slug },
      content: page.markdown,
    }));
  },
};
