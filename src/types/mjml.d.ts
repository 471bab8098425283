/** The part of mjml 5's API Waymark uses (the package ships no types). */
declare module "mjml" {
  export type MjmlError = { line: number; message: string; tagName: string; formattedMessage: string };
  export type MjmlOptions = {
    validationLevel?: "strict" | "soft" | "skip"; minify?: boolean; keepComments?: boolean;
    /** Leave `mj-include` unresolved (templates must not read files). */
    ignoreIncludes?: boolean;
    /** The template's path, for error messages. */
    filePath?: string;
  };
  export default function mjml2html(mjml: string, options?: MjmlOptions): Promise<{ html: string; errors: MjmlError[] }>;
}
