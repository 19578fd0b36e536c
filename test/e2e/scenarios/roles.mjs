/** @param {import("../run.mjs").Context} ctx */
export async function rolesScenario(ctx) {
  void ctx;
}
