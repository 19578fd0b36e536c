/** @param {import("../run.mjs").Context} ctx */
export async function coEditingScenario(ctx) {
  void ctx;
}
