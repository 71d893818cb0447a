// Bundle the components into the server's static folder: one ES module, minified, with
// a source map. `node build.mjs --watch` rebuilds on change.
import * as esbuild from "esbuild";

const options = {
  entryPoints: ["src/index.js"],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  legalComments: "none",
  outfile: "../server/src/remap_server/static/ui/remap.js",
  logLevel: "info",
};

if (process.argv.includes("--watch")) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
