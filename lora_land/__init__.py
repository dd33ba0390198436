"""LoRA Land: 25 task adapters served side by side with their base model."""
