/** @param {import("../run.mjs").Context} ctx */
export async function workspaceScenario(ctx) {
  void ctx;
}
