/** @param {import("../run.mjs").Context} ctx */
export async function followScenario(ctx) {
  void ctx;
}
