"""Local diffusers pipelines (Stable Diffusion and kin), opened offline and stepped through.

index.py (the folder from its JSON: class, modes, refusals; no torch), weights.py
(safetensors or refused pickles), opening.py (`open_pipeline`), cache.py (the "Models on
this computer" scan), prompts.py, schedulers.py, preview.py (the VAE and the linear latent
→ RGB map), tiny_decoder.py (AutoencoderTiny previews), views.py, stepper.py
(`run_pipeline`: the recorded loop), sd_start.py (where each SD mode starts),
class_loops.py (DiT, LDM), branching.py, attention.py (per-token cross-attention maps),
events.py. Never imports Qt or app/.
"""
