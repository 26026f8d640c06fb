"""The personalised-convolution face head (task ``face-head``): an experiment on top of the
dlib ResNet descriptor's last convolutional maps, trained on LFW's training people only and
measured on the held-out people (see trainer/tasks/face_head.py)."""
