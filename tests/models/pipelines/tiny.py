"""Tiny random diffusers pipelines built from configs, for tests (no hub, no network).

Every builder draws its weights from `torch.manual_seed(seed)`, so a folder built twice
holds the same weights. The CLIP tokenizer is written from a vocabulary made here: each
letter alone and at a word's end, no merges. The window tests reuse these builders.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

LETTERS = "abcdefghijklmnopqrstuvwxyz"
MAX_TOKENS = 16  # the tiny text encoder's context: a prompt over 14 letters is cut
HIDDEN = 8  # the text encoder's width = the UNet's cross-attention width


def tiny_vocab() -> dict[str, int]:
    """Return a CLIP vocabulary: start, end, each letter alone and at a word's end."""
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for c in LETTERS:
        vocab[c] = len(vocab)
        vocab[c + "</w>"] = len(vocab)
    return vocab


def tiny_tokenizer(folder: Path) -> Any:
    """Return a CLIPTokenizer read from a vocab.json and merges.txt written into `folder`."""
    from transformers import CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(tiny_vocab()), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"),
                         model_max_length=MAX_TOKENS)


def tiny_text_encoder(seed: int = 0, projection: bool = False) -> Any:
    """Return a one-layer CLIPTextModel (CLIPTextModelWithProjection with `projection`)."""
    import torch
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(seed)
    config = CLIPTextConfig(vocab_size=len(tiny_vocab()), hidden_size=HIDDEN,
                            intermediate_size=16, num_hidden_layers=1, num_attention_heads=2,
                            max_position_embeddings=MAX_TOKENS, bos_token_id=0,
                            eos_token_id=1, pad_token_id=1, projection_dim=HIDDEN)
    cls = CLIPTextModelWithProjection if projection else CLIPTextModel
    return cls(config).eval()


def tiny_unet(seed: int = 0, in_channels: int = 4, cross_attention_dim: int = HIDDEN,
              **extra: Any) -> Any:
    """Return a UNet2DConditionModel of a few thousand weights on 8×8 latents."""
    import torch
    from diffusers import UNet2DConditionModel

    torch.manual_seed(seed)
    return UNet2DConditionModel(
        block_out_channels=(4, 8), layers_per_block=1, sample_size=8,
        in_channels=in_channels, out_channels=4, norm_num_groups=2,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=cross_attention_dim, attention_head_dim=2, **extra).eval()


def tiny_vae(seed: int = 0) -> Any:
    """Return an AutoencoderKL halving 16-px RGB images to 4×8×8 latents."""
    import torch
    from diffusers import AutoencoderKL

    torch.manual_seed(seed)
    return AutoencoderKL(
        block_out_channels=(4, 4), in_channels=3, out_channels=3, latent_channels=4,
        down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
        norm_num_groups=2, sample_size=16, scaling_factor=0.5).eval()


def sd_scheduler(name: str = "PNDMScheduler") -> Any:
    """Return Stable Diffusion's scheduler config under class `name` (SD ships PNDM)."""
    import diffusers

    cls = getattr(diffusers, name)
    return cls.from_config({"beta_schedule": "scaled_linear", "beta_start": 0.00085,
                            "beta_end": 0.012, "num_train_timesteps": 1000,
                            "clip_sample": False, "set_alpha_to_one": False,
                            "skip_prk_steps": True, "steps_offset": 1})


def tiny_sd(folder: Path, scheduler: str = "PNDMScheduler", seed: int = 0,
            cls_name: str = "StableDiffusionPipeline") -> Any:
    """Return a tiny Stable Diffusion pipeline of class `cls_name` (16-px images), saved
    with safetensors into `folder` (its tokenizer's sources beside it, in `folder`-vocab)."""
    import diffusers

    cls = getattr(diffusers, cls_name)
    in_channels = 9 if cls_name == "StableDiffusionInpaintPipeline" else 4
    pipe = cls(unet=tiny_unet(seed, in_channels), vae=tiny_vae(seed + 1),
               text_encoder=tiny_text_encoder(seed + 2),
               tokenizer=tiny_tokenizer(folder.parent / f"{folder.name}-vocab"),
               scheduler=sd_scheduler(scheduler), safety_checker=None, feature_extractor=None,
               requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    pipe.save_pretrained(folder, safe_serialization=True)
    return pipe


def tiny_controlnet(folder: Path, unet: Any, seed: int = 0) -> Any:
    """Return a ControlNetModel copied from `unet` with a 16-px conditioning image halved
    once, every weight drawn anew (a fresh ControlNet's zero convolutions would add
    nothing, and a test could not tell it ran); saved with safetensors into `folder`."""
    import torch
    from diffusers import ControlNetModel

    net = ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=(4, 8))
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(0.2 * torch.randn(p.shape, generator=g))
    net.eval().save_pretrained(folder, safe_serialization=True)
    return net


def tiny_sdxl(folder: Path, seed: int = 0) -> Any:
    """Return a tiny StableDiffusionXLPipeline (two text encoders, the second with a
    projection; a UNet taking SDXL's pooled text and size conditioning), 16-px images,
    saved with safetensors into `folder`."""
    from diffusers import StableDiffusionXLPipeline

    time_dim = 4
    unet = tiny_unet(seed, cross_attention_dim=2 * HIDDEN, addition_embed_type="text_time",
                     addition_time_embed_dim=time_dim,
                     projection_class_embeddings_input_dim=6 * time_dim + HIDDEN)
    tokens = folder.parent / f"{folder.name}-vocab"
    pipe = StableDiffusionXLPipeline(
        vae=tiny_vae(seed + 1), text_encoder=tiny_text_encoder(seed + 2),
        text_encoder_2=tiny_text_encoder(seed + 3, projection=True),
        tokenizer=tiny_tokenizer(tokens), tokenizer_2=tiny_tokenizer(tokens), unet=unet,
        scheduler=sd_scheduler("EulerDiscreteScheduler"), add_watermarker=False)
    pipe.set_progress_bar_config(disable=True)
    pipe.save_pretrained(folder, safe_serialization=True)
    return pipe


def tiny_dit(folder: Path, seed: int = 0) -> Any:
    """Return a tiny DiTPipeline (a one-layer transformer on 4×8×8 latents in 2×2 patches,
    learning σ as DiT does; 1000 classes with the null class after them, as DiTPipeline
    assumes), saved with safetensors into `folder`."""
    import torch
    from diffusers import DDIMScheduler, DiTPipeline, DiTTransformer2DModel

    torch.manual_seed(seed)
    transformer = DiTTransformer2DModel(
        num_attention_heads=2, attention_head_dim=4, in_channels=4, out_channels=8,
        num_layers=1, sample_size=8, patch_size=2, num_embeds_ada_norm=1000).eval()
    scheduler = DDIMScheduler(beta_schedule="linear", clip_sample=False)
    pipe = DiTPipeline(transformer=transformer, vae=tiny_vae(seed + 1), scheduler=scheduler,
                       id2label={0: "tench", 1: "goldfish"})
    pipe.set_progress_bar_config(disable=True)
    pipe.save_pretrained(folder, safe_serialization=True)
    return pipe


def tiny_ldm(folder: Path, seed: int = 0) -> Any:
    """Return a tiny unconditional LDMPipeline (a VQModel halving 16-px images to 3×8×8
    latents, a UNet2DModel on them), saved with safetensors into `folder`."""
    import torch
    from diffusers import DDIMScheduler, LDMPipeline, UNet2DModel, VQModel

    torch.manual_seed(seed)
    vqvae = VQModel(block_out_channels=(4, 4), in_channels=3, out_channels=3,
                    down_block_types=("DownEncoderBlock2D",) * 2,
                    up_block_types=("UpDecoderBlock2D",) * 2, latent_channels=3,
                    num_vq_embeddings=16, norm_num_groups=2, sample_size=16).eval()
    unet = UNet2DModel(block_out_channels=(4, 8), layers_per_block=1, norm_num_groups=2,
                       sample_size=8, in_channels=3, out_channels=3,
                       down_block_types=("DownBlock2D",) * 2,
                       up_block_types=("UpBlock2D",) * 2).eval()
    pipe = LDMPipeline(vqvae=vqvae, unet=unet,
                       scheduler=DDIMScheduler(beta_schedule="linear", clip_sample=False))
    pipe.set_progress_bar_config(disable=True)
    pipe.save_pretrained(folder, safe_serialization=True)
    return pipe


def tiny_autoencoder_tiny(folder: Path, seed: int = 0) -> Any:
    """Return an AutoencoderTiny (a TAESD-like decoder) doubling 4×8×8 latents to 16 px,
    saved with safetensors into `folder`."""
    import torch
    from diffusers import AutoencoderTiny

    torch.manual_seed(seed)
    model = AutoencoderTiny(encoder_block_out_channels=(4, 4), decoder_block_out_channels=(4, 4),
                            num_encoder_blocks=(1, 1), num_decoder_blocks=(1, 1),
                            latent_channels=4).eval()
    model.save_pretrained(folder, safe_serialization=True)
    return model
